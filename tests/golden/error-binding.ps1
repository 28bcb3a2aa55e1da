# Parameter errors as PowerShell reports them; -ErrorAction SilentlyContinue goes on.
Get-VM nosuch -ErrorAction SilentlyContinue
'silently continued'
New-VM bind-vm01 -NumCpu abc
