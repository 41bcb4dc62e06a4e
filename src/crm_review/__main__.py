from crm_review.cli import main

main()
