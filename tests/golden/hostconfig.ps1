# Host services, NTP servers and name resolution (the real NTP and DNS servers are in
# tests/integration/test_time_and_names.py; here nothing answers, so ntpd polls nothing).
Get-VMHostService | Format-Table Key, Label, Policy, Running, Required
Set-VMHostService -HostService TSM-SSH -Policy On | Format-List Key, Label, Policy, Running, StateOnly
Get-VMHostService | Where-Object Key -eq 'TSM-SSH' | Start-VMHostService | Format-List Key, Running
Restart-VMHostService TSM-SSH -Confirm:$false | Format-List Key, Running
Stop-VMHostService TSM-SSH -Confirm:$false | Format-List Key, Running
Set-VMHostService TSM-SSH -Policy Off -WhatIf
Set-VMHostService TSM-SSH -Policy Off | Out-Null
Start-VMHostService ntpd | Out-Null
Get-VMHostNtpStatus | Format-List Running, Synchronized, SyncServer, Stratum, Servers
Stop-VMHostService ntpd -Confirm:$false | Out-Null
Add-VMHostNtpServer 192.0.2.1, 'ntp.example.lan:1123'
Get-VMHostNtpServer
Get-VMHostNtpStatus -Peer | Format-Table Server, Address, Reach, Stratum, Selected
Add-VMHostNtpServer 192.0.2.1 -ErrorAction Continue
Add-VMHostNtpServer 'bad name' -ErrorAction Continue
Get-VMHostNtpServer | Remove-VMHostNtpServer -Confirm:$false
(Get-VMHostNtpServer).Count
$name = (Get-VMHostNetwork).HostName
Get-VMHostNetwork | Set-VMHostNetwork -HostName golden01 -DomainName lab.lan -DnsAddress 127.0.0.1:5353 -SearchDomain lab.lan | Format-List HostName, DomainName, DnsAddress, SearchDomain
(Get-VMHost).Name
Set-VMHostNetwork -HostName 'bad_name' -ErrorAction Continue
Set-VMHostNetwork -DnsAddress 10.0.0.300 -ErrorAction Continue
(Get-VMHostNetwork).DnsAddress
Set-VMHostNetwork -HostName $name -DomainName $null -DnsAddress @() -SearchDomain @() | Out-Null
(Get-VMHostNetwork).HostName -eq $name
Resolve-VMHostName 192.0.2.7, localhost | Format-Table Name, Address, DnsServer
Resolve-VMHostName ntp.example.lan -ErrorAction Continue
