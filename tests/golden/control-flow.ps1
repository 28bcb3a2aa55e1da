# if/elseif/else, foreach, while, script blocks with $_ in Where-Object and ForEach-Object.
foreach ($i in 1..3) { New-VM "cf-vm0$i" -NumCpu $i | Out-Null }
foreach ($vm in Get-VM cf-* | Sort-Object Name) {
    if ($vm.NumCpu -ge 3) { "$($vm.Name) is big" }
    elseif ($vm.NumCpu -eq 2) { "$($vm.Name) is medium" }
    else { "$($vm.Name) is small" }
}
$n = 0
while ($n -lt 3) { $n += 1 }
"n = $n"
Get-VM cf-* | Where-Object Name -like '*1' | Start-VM | Out-Null
(Get-VM cf-* | Where-Object PowerState -eq 'PoweredOn').Name
$sum = 0
foreach ($vm in Get-VM cf-*) { $sum += $vm.NumCpu }
"total CPUs: $sum"
$i = 0
do { $i++ } while ($i -lt 5)
"i = $i"
