# New-Datastore, Set-Datastore, Copy-DatastoreItem, Remove-Datastore.
New-Datastore -Name golden2 -Path $PSScriptRoot -CapacityGB 1 | Format-List Name, CapacityGB, Type
Set-Datastore golden2 -CapacityGB 2 -CapacityIOPS 800 | Format-List Name, CapacityGB
'payload' | Out-File payload.txt
Copy-DatastoreItem payload.txt '[golden2] upload/' -Force
(Get-ChildItem '[golden2] upload').Name
Copy-DatastoreItem '[golden2] upload/payload.txt' '[datastore1] copied.txt' -PassThru | Format-Table Name, DatastoreFullPath
Copy-DatastoreItem '[datastore1] copied.txt' ./downloaded.txt
Get-Content ./downloaded.txt
Copy-DatastoreItem '[datastore1] ../../etc/shadow' ./stolen.txt -ErrorAction Continue
Remove-Item '[datastore1] copied.txt' -Confirm:$false
Remove-Datastore golden2 -Confirm:$false
(Get-Datastore).Name
New-Datastore -Name golden3 -Path "$PSScriptRoot/no-such-dir"
