# Write-Host, Out-File, ConvertFrom-Csv, Get-Member.
Write-Host 'plain text'
Write-Host 'two' 'words' -Separator ', '
Write-Host 'no newline' -NoNewline
Write-Host ' ... then one'
New-VM out-vm01 -MemoryMB 128 | Out-Null
Get-VM out-vm01 | Out-File vms.txt
Get-Content vms.txt
'second line' | Out-File vms.txt -Append
(Get-Content vms.txt).Count
'again' | Out-File vms.txt -NoClobber -ErrorAction Continue
Set-Content notes.txt 'first', 'second'
'third' | Add-Content notes.txt
Get-Content notes.txt -Tail 2
$rows = "Name,Cpu`nweb,2`ndb,4" | ConvertFrom-Csv
$rows | Format-Table
($rows | Measure-Object -Property Cpu -Sum).Sum
Get-VM out-vm01 | Get-Member -MemberType Property | Select-Object -First 5 | Format-Table Name, MemberType
'text' | Get-Member -Name Length, ToUpper | Format-Table Name, MemberType
