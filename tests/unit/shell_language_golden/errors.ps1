# Errors: try/catch/finally, typed catch, throw, $Error, $?
function Remove-Safely($name) {
    try {
        Get-VM $name | Out-Null
        "found $name"
    }
    catch [NotFound] {
        "no VM called $name"
    }
    finally {
        "checked $name"
    }
}
New-VM -Name web01 | Out-Null
Remove-Safely web01
Remove-Safely ghost
try {
    try { throw 'inner failure' }
    finally { 'inner finally runs first' }
}
catch {
    "outer caught: $($_.Exception.Message)"
}
Get-VM ghost -ErrorAction SilentlyContinue
"status after a silenced error: $?"
"errors so far: $($Error.Count)"
throw "stopping at line $(28)"
'never printed'
