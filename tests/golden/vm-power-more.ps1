# Suspend-VM, Restart-VM, and the questions a VM can wait on.
New-VM pw-vm01 | Out-Null
Start-VM pw-vm01 | Out-Null
Suspend-VM pw-vm01 -Confirm:$false | Out-Null
(Get-VM pw-vm01).PowerState
Start-VM pw-vm01 | Out-Null
(Get-VM pw-vm01).PowerState
Restart-VM pw-vm01 -Confirm:$false | Select-Object Name, PowerState
Get-VMQuestion pw-vm01
(Get-VMQuestion).Count
Get-VMQuestion pw-vm01 | Set-VMQuestion -Option Retry -Confirm:$false
try { Set-VMQuestion -VMQuestion 'bogus' -Option Retry -Confirm:$false } catch { "caught: $_" }
Suspend-VM pw-vm01 -WhatIf
Restart-VM pw-vm01 -WhatIf
Stop-VM pw-vm01 -Confirm:$false | Out-Null
Suspend-VM pw-vm01 -Confirm:$false
