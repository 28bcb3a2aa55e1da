from vmkernel.main import main

main()
