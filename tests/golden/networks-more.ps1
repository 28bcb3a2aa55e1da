# Changing and removing switches, port groups, security policy and NICs.
New-VirtualSwitch -Name vSwitchMore | Out-Null
Set-VirtualSwitch vSwitchMore -Mtu 9000 -NumPorts 256 -Confirm:$false | Format-List Name, Mtu, NumPorts
Get-SecurityPolicy -VirtualSwitch vSwitchMore | Set-SecurityPolicy -AllowPromiscuous $true -Confirm:$false | Format-List AllowPromiscuous, MacChanges, ForgedTransmits
New-VirtualPortGroup -VirtualSwitch vSwitchMore -Name More-PG | Out-Null
Get-SecurityPolicy -VirtualPortGroup (Get-VirtualPortGroup -Name More-PG) | Format-List AllowPromiscuous, AllowPromiscuousInherited
New-VM nm-vm01 -NetworkName More-PG | Out-Null
Get-NetworkAdapter nm-vm01 | Set-NetworkAdapter -NetworkName 'VM Network' -StartConnected $false -Confirm:$false | Format-List NetworkName
(Get-NetworkAdapter nm-vm01).ConnectionState.StartConnected
Get-NetworkAdapter nm-vm01 | Remove-NetworkAdapter -Confirm:$false
(Get-NetworkAdapter nm-vm01).Count
Get-VMHostNetworkAdapter -Physical | Select-Object -First 1 | Set-VMHostNetworkAdapter -UdpEndpoint 127.0.0.1:1 -UdpPeer 127.0.0.1:2 -WhatIf
Remove-VirtualPortGroup -VirtualPortGroup (Get-VirtualPortGroup -Name More-PG) -Confirm:$false
Remove-VirtualSwitch vSwitchMore -Confirm:$false
(Get-VirtualSwitch).Name
Remove-VirtualSwitch vSwitchNone -Confirm:$false
