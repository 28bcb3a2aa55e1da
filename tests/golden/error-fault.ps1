# A fault from the host ends the script: nothing after it runs.
New-VM err-vm01 | Out-Null
Start-VM err-vm01 | Out-Null
'before'
Start-VM err-vm01
'never printed'
