# VM resource settings, and moving and removing resource pools.
New-VM rs-vm01 -NumCpu 2 -MemoryMB 256 -DiskMB 16 | Out-Null
Get-VMResourceConfiguration -VM rs-vm01 | Format-List VM, NumCpuShares, CpuSharesLevel, MemSharesLevel
Get-VMResourceConfiguration -VM rs-vm01 | Set-VMResourceConfiguration -CpuReservationMhz 100 -MemLimitMB 128 -CpuSharesLevel High | Format-List CpuReservationMhz, MemLimitMB, CpuSharesLevel, NumCpuShares
$disk = Get-HardDisk rs-vm01
Get-VMResourceConfiguration rs-vm01 | Set-VMResourceConfiguration -Disk $disk -DiskSharesLevel Low -DiskLimitIOPerSecond 500 | Out-Null
(Get-VMResourceConfiguration rs-vm01).DiskResourceConfiguration | Format-Table Key, DiskSharesLevel, NumDiskShares, DiskLimitIOPerSecond
Get-VMResourceConfiguration rs-vm01 | Set-VMResourceConfiguration -CpuSharesLevel Enormous -ErrorAction Continue
New-ResourcePool -Location Resources -Name rs-gold | Out-Null
New-ResourcePool -Location Resources -Name rs-silver | Out-Null
Move-ResourcePool rs-silver -Destination rs-gold | Out-Null
(Get-ResourcePool rs-silver).Parent
Move-ResourcePool rs-gold -Destination rs-silver -ErrorAction Continue
Remove-ResourcePool rs-silver -Confirm:$false
(Get-ResourcePool rs-*).Name
Remove-ResourcePool rs-gold -WhatIf
