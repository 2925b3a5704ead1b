-- One spelling per account (contract §3.9): customers.email and
-- users.username hold the canonical form (ASCII lower case) in a column
-- compared byte for byte (utf8mb4_nopad_bin: no case or accent folding,
-- no trailing-space padding), under the unique indexes they already have.
--
-- Existing rows are lower-cased.  Two rows of a table that would become
-- one are not merged: the migration stops before changing anything,
-- naming the table, the ids and the shared address; rename one of them
-- (or delete it), then run glue-mfa-migrate again.  A row outside the
-- grammar (a blank, a character that is not ASCII) is kept as it is: no
-- sign-in can name it until it is renamed.
DELIMITER //
BEGIN NOT ATOMIC
	DECLARE clash TEXT DEFAULT NULL;

	SELECT CONCAT('customers ', GROUP_CONCAT(ids SEPARATOR '; '))
	    INTO clash FROM (
		SELECT CONCAT('ids ', GROUP_CONCAT(id ORDER BY id), ' share ',
		    LOWER(email)) AS ids
		FROM customers
		GROUP BY LOWER(email) COLLATE utf8mb4_nopad_bin
		HAVING COUNT(*) > 1) AS c
	    HAVING COUNT(*) > 0;
	IF clash IS NULL THEN
		SELECT CONCAT('users ', GROUP_CONCAT(ids SEPARATOR '; '))
		    INTO clash FROM (
			SELECT CONCAT('ids ', GROUP_CONCAT(id ORDER BY id),
			    ' share ', LOWER(username)) AS ids
			FROM users
			GROUP BY LOWER(username) COLLATE utf8mb4_nopad_bin
			HAVING COUNT(*) > 1) AS u
		    HAVING COUNT(*) > 0;
	END IF;
	IF clash IS NOT NULL THEN
		-- MESSAGE_TEXT holds at most 512 characters.
		SET clash = CONCAT('006: accounts differing only in case ',
		    '(rename or delete one of each, then migrate again): ',
		    clash);
		IF CHAR_LENGTH(clash) > 512 THEN
			SET clash = CONCAT(LEFT(clash, 508), ' ...');
		END IF;
		SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = clash;
	END IF;
END//
DELIMITER ;

UPDATE customers SET email = LOWER(email)
    WHERE email <> LOWER(email) COLLATE utf8mb4_nopad_bin;
UPDATE users SET username = LOWER(username)
    WHERE username <> LOWER(username) COLLATE utf8mb4_nopad_bin;

ALTER TABLE customers MODIFY email VARCHAR(255) CHARACTER SET utf8mb4
    COLLATE utf8mb4_nopad_bin NOT NULL,
    ADD CONSTRAINT customers_email_lower CHECK (email = LOWER(email));
ALTER TABLE users MODIFY username VARCHAR(255) CHARACTER SET utf8mb4
    COLLATE utf8mb4_nopad_bin NOT NULL,
    ADD CONSTRAINT users_username_lower CHECK (username = LOWER(username));
