# The remote console: a URL with a ticket, and screenshots.
New-VM co-vm01 -MemoryMB 128 | Out-Null
Open-VMConsoleWindow co-vm01 -ErrorAction Continue
Start-VM co-vm01 | Out-Null
(Open-VMConsoleWindow co-vm01 -UrlOnly) -like 'pyesx+console://*/vm-*?ticket=*'
$shot = Get-VMScreenshot co-vm01 -Destination ./screen.png
$shot
(Get-Content ./screen.png -Raw).Substring(1, 3)
