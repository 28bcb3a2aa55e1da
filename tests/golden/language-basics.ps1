# Variables, arrays, string interpolation, operators, ranges, member enumeration.
$name = 'web'
$count = 3
"$name has $count VMs; next is $($count + 1)"
$list = @(1, 2, 3) + 4
$list.Count
$list[-1]
$list -gt 2
'Web01' -eq 'web01'
'Web01' -ceq 'web01'
'web01' -like 'WEB*'
10 / 4
7 % 3
-not $true
$null -eq $undefined
