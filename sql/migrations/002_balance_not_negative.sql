-- An account's balance never goes below zero: the debit of a new address already checks
-- it, and this makes the database refuse any other path (a top-up with a negative amount
-- larger than the balance, a mistaken manual UPDATE) too.
UPDATE accounts SET balance = 0 WHERE balance < 0;
ALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_balance_not_negative;
ALTER TABLE accounts ADD CONSTRAINT accounts_balance_not_negative CHECK (balance >= 0);
