# Growing a disk, changing and removing a CD/DVD drive.
New-VM dm-vm01 -DiskMB 16 | Out-Null
Get-HardDisk dm-vm01 | Set-HardDisk -CapacityKB 32768 -Confirm:$false | Format-List Name, CapacityKB
Get-HardDisk dm-vm01 | Set-HardDisk -CapacityKB 1024 -Confirm:$false -ErrorAction Continue
New-CDDrive -VM dm-vm01 | Out-Null
Get-CDDrive dm-vm01 | Set-CDDrive -IsoPath '[datastore1] iso/guest-installer.iso' -StartConnected $true -Confirm:$false | Format-List IsoPath, ConnectionState
Get-CDDrive dm-vm01 | Set-CDDrive -NoMedia -Confirm:$false | Format-List IsoPath
Get-CDDrive dm-vm01 | Set-CDDrive -IsoPath '[datastore1] iso/missing.iso' -Confirm:$false -ErrorAction Continue
Get-CDDrive dm-vm01 | Remove-CDDrive -Confirm:$false
(Get-CDDrive dm-vm01).Count
