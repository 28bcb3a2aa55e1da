# Statistics: counter names and units, which do not depend on timing.
Get-StatType -Entity (Get-VMHost) -Name cpu.usage.average
(Get-StatType -Entity (Get-VMHost) | Measure-Object).Count -gt 5
New-VM stat-vm01 | Out-Null
Get-StatType -Entity stat-vm01 -Name mem.*
$samples = Get-Stat -Entity (Get-VMHost) -Stat cpu.usage.average -Realtime -MaxSamples 1
$samples.MetricId
$samples.Unit
