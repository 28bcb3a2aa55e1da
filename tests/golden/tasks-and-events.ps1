# -RunAsync returns tasks; Wait-Task waits for them; events record what happened.
New-VM ev-vm01 | Out-Null
New-VM ev-vm02 | Out-Null
$tasks = Start-VM ev-vm01, ev-vm02 -RunAsync
$tasks.Count
($tasks | Wait-Task).Name
(Get-VM ev-vm0*).PowerState
(Get-VIEvent -Entity ev-vm01 -MaxSamples 100).Count -ge 2
Stop-VM ev-vm01, ev-vm02 -Confirm:$false | Out-Null
(Get-Task | Measure-Object).Count -ge 4
