# -WhatIf tells what would happen and does nothing; scripts never ask (-Confirm is implied false).
New-VM wi-vm01 | Out-Null
Start-VM wi-vm01 -WhatIf
(Get-VM wi-vm01).PowerState
Remove-VM wi-vm01 -WhatIf
(Get-VM wi-vm01).Name
Remove-VM wi-vm01 -DeletePermanently -Confirm:$false
Get-VM wi-vm01 -ErrorAction SilentlyContinue
'gone'
