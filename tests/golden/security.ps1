# Security: local accounts, roles, permissions, sessions, lockdown and the host's security settings
# (everything made here is removed again: the host is shared by the corpus).
New-VMHostAccount -Id gold1 -Password 'Gold#2024' -Description 'Golden user' | Format-Table Id, Description, Locked
New-VMHostAccount -Id gold2 -Password 'weak' -ErrorAction Continue
Set-VMHostAccount -UserAccount gold1 -Description 'Night shift' | Select-Object -ExpandProperty Description
(Get-VMHostAccount).Id -join ','
Get-VIPrivilege -Id 'VirtualMachine.Interact.Power*' | Format-Table Id, ParentGroupId
New-VIRole -Name GoldOps -Privilege 'VirtualMachine.Interact.PowerOn' | Out-Null
Set-VIRole -Role GoldOps -AddPrivilege 'VirtualMachine.Interact.Reset' -Confirm:$false | Out-Null
(Get-VIRole GoldOps).PrivilegeList -join ','
Get-VIRole
New-VM gold-vm01 | Out-Null
New-VIPermission -Entity gold-vm01 -Principal gold1 -Role GoldOps -Propagate:$false | Out-Null
Get-VIPermission -Principal gold1 | Set-VIPermission -Role ReadOnly -Confirm:$false
Get-VIPermission
New-VIPermission -Entity (Get-VMHost) -Principal root -Role NoAccess -ErrorAction Continue
(Get-VISession | Where-Object IsCurrent).UserName
Remove-VISession -Session 'nosuch' -Confirm:$false -ErrorAction Continue
Set-VMHostLockdown -Mode Normal -ExceptionUser root -Confirm:$false
Get-VMHostLockdown
Set-VMHostLockdown -Mode Disabled -ExceptionUser @() -Confirm:$false | Out-Null
Get-AdvancedSetting -Entity (Get-VMHost) -Name Security.AccountLockFailures | Set-AdvancedSetting -Value 4 -Confirm:$false
Get-AdvancedSetting -Entity (Get-VMHost) -Name Security.AccountLockFailures | Set-AdvancedSetting -Value 5 -Confirm:$false | Out-Null
Get-VIPermission -Principal gold1 | Remove-VIPermission -Confirm:$false
Remove-VIRole -Role GoldOps -Confirm:$false
Remove-VMHostAccount -HostAccount gold1 -Confirm:$false
(Get-VMHostAccount).Id -join ','
