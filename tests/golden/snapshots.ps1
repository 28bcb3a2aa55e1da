# Snapshots: a tree, revert, remove; Get-Snapshot's properties.
New-VM snap-db01 -DiskMB 16 | Out-Null
New-Snapshot snap-db01 base -Description "before the upgrade" | Out-Null
New-Snapshot -VM snap-db01 -Name second | Out-Null
Get-Snapshot -VM snap-db01 | Format-Table Name, Description, ParentSnapshot, IsCurrent
Set-VM snap-db01 -Snapshot (Get-Snapshot snap-db01 base) -Confirm:$false | Out-Null
(Get-Snapshot snap-db01 base).IsCurrent
(Get-Snapshot snap-db01 base).Children
Get-Snapshot snap-db01 second | Remove-Snapshot -Confirm:$false
(Get-Snapshot snap-db01).Name
Get-Snapshot snap-db01 nosuch
