# Set-VM changes CPUs, memory, name and notes; properties read back with member access.
$vm = New-VM set-app01 -NumCpu 1 -MemoryMB 128 -Notes "first notes"
"$($vm.Name): $($vm.NumCpu) CPU, $($vm.MemoryMB) MB, notes '$($vm.Notes)'"
Set-VM set-app01 -NumCpu 2 -MemoryMB 512 -Notes "changed" -Confirm:$false | Out-Null
$vm = Get-VM set-app01
"$($vm.Name): $($vm.NumCpu) CPU, $($vm.MemoryMB) MB, $($vm.MemoryGB) GB, notes '$($vm.Notes)'"
Set-VM set-app01 -Name set-app02 -Confirm:$false | Out-Null
Get-VM set-app0* | ConvertTo-Json -Compress | Out-Null
(Get-VM set-app02).VmxPath
(Get-VM set-app02).GuestId
$vm.Id -like 'VirtualMachine-vm-*'
