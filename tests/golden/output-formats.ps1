# Output: Format-Table, Format-List, ConvertTo-Json, Out-String, Write-Output, Measure-Object.
New-VM fmt-a -NumCpu 1 -MemoryMB 128 | Out-Null
New-VM fmt-b -NumCpu 2 -MemoryMB 256 | Out-Null
New-VM fmt-c -NumCpu 2 -MemoryMB 512 | Out-Null
Get-VM fmt-* | Format-Table Name, NumCpu, MemoryMB
Get-VM fmt-b | Format-List Name, PowerState, NumCpu, MemoryGB
Get-VM fmt-a | ConvertTo-Json -Depth 1 | Out-Null
Get-VM fmt-* | Measure-Object -Property NumCpu -Sum -Average -Maximum -Minimum
Write-Output "three VMs" 42 $true
(Get-VM fmt-a | Out-String).Length -gt 0
