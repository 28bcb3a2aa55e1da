# An unknown cmdlet.
'first'
Get-VMM
