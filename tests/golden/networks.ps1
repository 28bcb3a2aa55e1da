# Standard switches, port groups with VLANs, security policy, VM network adapters.
New-VirtualSwitch -Name vSwitchGolden -NumPorts 64 -Mtu 9000 | Out-Null
Get-VirtualSwitch vSwitchGolden | Format-List Name, NumPorts, Mtu
New-VirtualPortGroup -VirtualSwitch vSwitchGolden -Name Golden-PG -VLanId 42 | Out-Null
Get-VirtualPortGroup -Name Golden-PG | Format-Table Name, VLanId, VirtualSwitchName
Get-VirtualPortGroup -Name Golden-PG | Get-SecurityPolicy | Format-List AllowPromiscuous, MacChanges, ForgedTransmits
New-VM net-vm01 -NetworkName Golden-PG | Out-Null
Get-NetworkAdapter net-vm01 | Format-List Name, NetworkName, Type, MacAddress
(Get-NetworkAdapter net-vm01).ConnectionState.StartConnected
New-NetworkAdapter -VM net-vm01 -NetworkName 'VM Network' -Type e1000 -StartConnected | Out-Null
(Get-NetworkAdapter net-vm01).Count
Set-VirtualPortGroup -VirtualPortGroup (Get-VirtualPortGroup -Name Golden-PG) -VLanId 7 | Out-Null
(Get-VirtualPortGroup -Name Golden-PG).VLanId
