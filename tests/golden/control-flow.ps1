# if/elseif/else, foreach, while, do-while, ++ and +=, Where-Object (simplified) in a pipeline.
foreach ($i in 1..3) { New-VM "cf-vm0$i" -MemoryMB (128 * $i) | Out-Null }
foreach ($vm in Get-VM cf-* | Sort-Object Name) {
    if ($vm.MemoryMB -ge 384) { "$($vm.Name) is big" }
    elseif ($vm.MemoryMB -eq 256) { "$($vm.Name) is medium" }
    else { "$($vm.Name) is small" }
}
$n = 0
while ($n -lt 3) { $n += 1 }
"n = $n"
Get-VM cf-* | Where-Object Name -like '*1' | Start-VM | Out-Null
(Get-VM cf-* | Where-Object PowerState -eq 'PoweredOn').Name
$sum = 0
foreach ($vm in Get-VM cf-*) { $sum += $vm.MemoryMB }
"total memory: $sum MB"
$i = 0
do { $i++ } while ($i -lt 5)
"i = $i"
