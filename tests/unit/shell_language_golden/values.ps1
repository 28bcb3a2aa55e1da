# Values: strings, here-strings, numbers, arrays, hashtables, casts
$name = 'web01'
"name: $name, upper: $($name.ToUpper()), length: $($name.Length)"
'single quotes keep $name'
$text = @"
VM $name
  size: $(2 * 1GB / 1MB) MB
"@
$text
$list = 1, 2, 3
$list += 4
"count $($list.Count), last $($list[-1]), sum $($list[0] + $list[1] + $list[2] + $list[3])"
$h = [ordered]@{ Name = $name; Cpu = 2 }
$h.Memory = '4GB'
foreach ($key in $h.Keys) { '{0,-6} = {1}' -f $key, $h[$key] }
[int]'42' + 1
[string]1.5 + '!'
[bool]''
'{0:N2} GB' -f (1536MB / 1GB)
(1..10 -gt 7) -join ','
'web01,db01,web02' -split ',' -match '^web' -replace 'web', 'app'
