# Script blocks in the object cmdlets: Where-Object { }, ForEach-Object { }, calculated properties.
foreach ($i in 1..4) { New-VM "pl-vm0$i" -NumCpu (1 + $i % 2) -MemoryMB (128 * $i) | Out-Null }
Get-VM pl-* | Where-Object { $_.MemoryMB -gt 256 } | ForEach-Object { $_.Name }
Get-VM pl-* | Where-Object { $_.NumCpu -eq 2 -and $_.Name -like '*1' } | Start-VM | Out-Null
Get-VM pl-* | Sort-Object MemoryMB -Descending | Select-Object Name, PowerState, @{N='MemoryGiB'; E={ $_.MemoryMB / 1024 }}
Get-VM pl-* | Group-Object NumCpu | ForEach-Object { "$($_.Name) CPU: $($_.Count) VMs" }
$total = 0
Get-VM pl-* | ForEach-Object -Begin { $total = 0 } -Process { $total += $_.MemoryMB } -End { "total $total MB" }
Get-VM pl-* | ForEach-Object { $_.Name.ToUpper() } | Select-Object -First 2
Get-VM pl-* | Measure-Object -Property MemoryMB -Sum | ForEach-Object { $_.Sum / 1024 }
(Get-VM pl-* | Where-Object PowerState -eq PoweredOn).Name
Get-VM pl-* | Where-Object { $_.PowerState -eq 'PoweredOn' } | Stop-VM -Confirm:$false | Format-Table Name, PowerState
Get-VM pl-* | Select-Object Name, NumCpu | Sort-Object Name | Format-Table -AutoSize
