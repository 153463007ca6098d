# Make targets of backup/ (the project's Makefile includes every <folder>/*.mk).
# BACKUP_DESTINATION, BACKUP_KEEP_DAILY and BACKUP_KEEP_WEEKLY in the environment set where and how many.
.PHONY: backup backup-list backup-verify

backup:
	$(CLI) backup create

backup-list:
	$(CLI) backup list

# ARCHIVE=<name or file>: checksums, then a trial restore that compares every model's answers.
backup-verify:
	$(CLI) backup verify $(ARCHIVE) --models
