# switch, method calls, static members, -f, splatting, here-strings, $? and $Error.
$name = 'web01'
switch -Wildcard ($name) { 'db*' { 'a database' } 'web*' { 'a web server' } default { 'something else' } }
switch (3) { 1 { 'one' } 3 { 'three' } }
'Hello, World'.ToUpper()
'a,b,c'.Split(',').Count
'  padded  '.Trim()
[math]::Round(2.567, 2)
[math]::Max(3, 7)
'{0,-6}|{1,4}' -f 'ab', 12
$params = @{ Name = 'lm-vm01'; NumCpu = 2; MemoryMB = 192 }
New-VM @params | Format-Table Name, NumCpu, MemoryGB
$text = @"
name: $($params.Name)
cpus: $($params.NumCpu)
"@
$text
Get-VM nosuch -ErrorAction SilentlyContinue
"succeeded: $?"
$Error.Count -ge 1
function Get-Double([int]$Value) { $Value * 2 }
Get-Double 21
@(1, 2, 3) | ForEach-Object { $_ * $_ } | Measure-Object -Sum | Select-Object -ExpandProperty Sum
