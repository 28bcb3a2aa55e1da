# Hashtables, calculated properties, regex and collection operators, casts, ranges.
$spec = @{ Name = 'ht-vm01'; NumCpu = 2; MemoryMB = 256 }
New-VM -Name $spec.Name -NumCpu $spec['NumCpu'] -MemoryMB $spec.MemoryMB | Out-Null
$spec.Keys | Sort-Object
Get-VM ht-vm01 | Select-Object Name, @{N='Memory'; E='MemoryMB'} | ConvertTo-Json -Compress
'db01' -match '^d(\w)(\d+)$'
$Matches[2]
'web01,web02' -split ','
'web01' -replace 'web', 'app'
@('a', 'b') -contains 'B'
'x' -in @('x', 'y')
[int]'42' + 1
1..5 | Measure-Object -Sum | Select-Object -ExpandProperty Sum
"{0} has {1} CPUs" -f 'ht-vm01', 2
