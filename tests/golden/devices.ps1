# Hard disks and CD/DVD drives.
New-VM dev-vm01 -DiskMB 32 | Out-Null
Get-HardDisk dev-vm01 | Format-List Name, CapacityGB, StorageFormat, Persistence, Filename
New-HardDisk -VM dev-vm01 -CapacityKB 8192 -StorageFormat Thin | Out-Null
(Get-HardDisk dev-vm01).Count
New-CDDrive -VM dev-vm01 | Out-Null
Get-CDDrive dev-vm01 | Format-List Name, IsoPath, ConnectionState
Get-HardDisk dev-vm01 -Name 'Hard disk 2' | Remove-HardDisk -DeletePermanently -Confirm:$false
(Get-HardDisk dev-vm01).Name
