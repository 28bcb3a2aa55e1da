# Get-Command and Get-Help: the cmdlets and their documentation.
(Get-Command -Noun VICredentialStoreItem).Name
(Get-Command -Verb Connect).Name
Get-Command Start-VM | Format-List Name, CommandType
# an unknown command is an error whatever -ErrorAction says, with the nearest names
Get-VMM -ErrorAction SilentlyContinue
