# Functions with param(), try/catch/finally, throw, $?, -ErrorAction Stop.
function New-Lab {
    param([string]$Prefix, [int]$Count = 2)
    foreach ($i in 1..$Count) { New-VM "$Prefix-$i" | Out-Null }
    (Get-VM "$Prefix-*").Count
}
New-Lab -Prefix fn-lab
New-Lab fn-big 3
try {
    Start-VM fn-lab-1 | Out-Null
    Start-VM fn-lab-1 -ErrorAction Stop
    'not reached'
} catch {
    "caught: $($_.Exception.Message)"
} finally {
    'finally ran'
}
try { throw 'custom failure' } catch { "caught: $_" }
Get-VM fn-lab-1 | Out-Null
"last succeeded: $?"
throw 'the end'
'never printed'
