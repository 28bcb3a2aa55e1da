# Resource pools: a tree under the host's root pool, settings, moving VMs.
New-ResourcePool -Location (Get-ResourcePool Resources) -Name rp-gold -CpuSharesLevel High | Out-Null
New-ResourcePool -Location rp-gold -Name rp-child -MemReservationMB 64 | Out-Null
Get-ResourcePool rp-* | Format-Table Name, CpuSharesLevel, MemReservationMB
New-VM rp-vm01 | Out-Null
Move-VM rp-vm01 -Destination rp-child | Out-Null
(Get-VM rp-vm01).ResourcePool
(Get-VM -Location rp-gold).Name
Get-VM -Location rp-gold -NoRecursion
Set-ResourcePool rp-child -CpuLimitMhz 500 | Out-Null
(Get-ResourcePool rp-child).CpuLimitMhz
