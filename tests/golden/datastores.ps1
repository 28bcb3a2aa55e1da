# Datastores and their files: folders, listing, copy, move, remove.
(Get-Datastore).Name
(Get-Datastore datastore1).Type
New-Item -ItemType Directory -Path '[datastore1] ds-golden' | Out-Null
New-Item -ItemType Directory -Path 'vmstore:\ha-datacenter\datastore1\ds-golden\inner' | Out-Null
(Get-ChildItem '[datastore1] ds-golden').Name
Move-Item '[datastore1] ds-golden/inner' '[datastore1] ds-golden/moved' | Out-Null
Get-ChildItem '[datastore1] ds-golden' -Recurse | Format-Table Name, FolderPath
Remove-Item '[datastore1] ds-golden' -Recurse -Confirm:$false
Get-ChildItem '[datastore1] ds-golden'
