# exit N ends the script with that code.
'working'
exit 3
'not reached'
