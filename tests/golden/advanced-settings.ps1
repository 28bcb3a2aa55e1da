# Advanced settings: a VM's .vmx extra config.
New-VM adv-vm01 | Out-Null
New-AdvancedSetting -Entity adv-vm01 -Name golden.key -Value one -Confirm:$false | Format-Table Name, Value
$setting = Get-AdvancedSetting -Entity adv-vm01 -Name golden.*
"$($setting.Name) = $($setting.Value)"
Get-AdvancedSetting -Entity adv-vm01 -Name golden.key | Set-AdvancedSetting -Value two -Confirm:$false | Out-Null
(Get-AdvancedSetting -Entity adv-vm01 -Name golden.key).Value
Get-AdvancedSetting -Entity adv-vm01 -Name golden.key | Remove-AdvancedSetting -Confirm:$false
Get-AdvancedSetting -Entity adv-vm01 -Name golden.key
