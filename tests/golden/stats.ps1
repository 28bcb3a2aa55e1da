# Statistics: counter names and units, which do not depend on timing.
Get-StatType -Entity (Get-VMHost) -Name cpu.usage.average
(Get-StatType -Entity (Get-VMHost) | Measure-Object).Count -gt 5
New-VM stat-vm01 | Out-Null
Get-StatType -Entity stat-vm01 -Name mem.*
# samples depend on when the host booted: at most one is asked for
(Get-Stat -Entity (Get-VMHost) -Stat cpu.usage.average -Realtime -MaxSamples 1 | Measure-Object).Count -le 1
Get-Stat -Entity stat-vm01 -Stat nosuch.counter
