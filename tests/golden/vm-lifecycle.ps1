# New-VM, Get-VM (wildcards), Start-VM, Stop-VM, Remove-VM and their default tables.
New-VM -Name lc-web01 -NumCpu 2 -MemoryMB 256
New-VM lc-web02 -MemoryGB 0.5 | Out-Null
New-VM lc-db01 | Out-Null
Get-VM lc-web*
Start-VM lc-web01, lc-web02
(Get-VM -Name lc-*).Count
Stop-VM lc-web01 -Confirm:$false
Get-VM lc-web02 | Stop-VM -Kill -Confirm:$false | Out-Null
(Get-VM lc-web02).PowerState
Remove-VM lc-db01 -DeletePermanently -Confirm:$false
(Get-VM).Name
