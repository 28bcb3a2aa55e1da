from hostd.main import main

main()
