# Control flow and functions
function Get-Kind {
    param([Parameter(Mandatory)][string]$Name)
    switch -Wildcard ($Name) {
        'web*' { 'frontend'; break }
        'db*' { 'database'; break }
        default { 'other' }
    }
}
function Measure-Even {
    begin { $count = 0 }
    process { if ($_ % 2 -eq 0) { $count++ } }
    end { "even: $count" }
}
foreach ($vm in 'web01', 'db01', 'cache') {
    "$vm is $(Get-Kind $vm)"
}
1..9 | Measure-Even
$i = 0
while ($true) {
    $i++
    if ($i -eq 2) { continue }
    if ($i -gt 4) { break }
    "while $i"
}
for ($row = 1; $row -le 3; $row++) {
    $line = ''
    for ($col = 1; $col -le 3; $col++) {
        if ($col -gt $row) { break }
        $line += "$($row * $col) "
    }
    $line.Trim()
}
$fib = { param($n) if ($n -lt 2) { $n } else { (& $fib ($n - 1)) + (& $fib ($n - 2)) } }
"fib(10) = $(& $fib 10)"
