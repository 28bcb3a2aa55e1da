# Stop-Task: cancelling a task that allows it, and one that has ended.
New-VM tk-vm01 -DiskMB 8 | Out-Null
$task = Get-Task | Select-Object -First 1
Stop-Task $task -Confirm:$false -ErrorAction Continue
Stop-Task $task -WhatIf
