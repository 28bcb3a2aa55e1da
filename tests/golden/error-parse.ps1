# A parse error: nothing in the script runs, the error names the line and column.
New-VM parse-vm01
Get-VM | Where-Object )
