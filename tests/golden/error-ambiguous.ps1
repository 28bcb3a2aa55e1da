# An ambiguous parameter prefix.
New-VM amb-vm01 -Mem 4
