# pyright: reportUndefinedVariable=false
import unittest


class TestAccounts(unittest.TestCase):
    def setUp(self):
        self.ledger = Ledger()
        self.ledger.open_account("ann", 1000)
        self.ledger.open_account("bob")

    def test_open_duplicate(self):
        with self.assertRaises(ValueError):
            self.ledger.open_account("ann")

    def test_open_negative(self):
        with self.assertRaises(ValueError):
            self.ledger.open_account("cy", -1)

    def test_unknown_is_key_error(self):
        with self.assertRaises(KeyError):
            self.ledger.balance("zed")

    def test_deposit_and_withdraw(self):
        self.assertEqual(self.ledger.deposit("bob", 250), 250)
        self.assertEqual(self.ledger.withdraw("bob", 50), 200)
        self.assertEqual(self.ledger.balance("bob"), 200)

    def test_non_positive_amounts(self):
        for call in (self.ledger.deposit, self.ledger.withdraw):
            with self.assertRaises(ValueError):
                call("ann", 0)
        self.assertEqual(self.ledger.balance("ann"), 1000)

    def test_overdraw_changes_nothing(self):
        with self.assertRaises(InsufficientFunds):
            self.ledger.withdraw("bob", 1)
        self.assertEqual(self.ledger.statement("bob"), [("open", 0, 0)])

    def test_withdraw_everything(self):
        self.assertEqual(self.ledger.withdraw("ann", 1000), 0)


class TestTransfers(unittest.TestCase):
    def setUp(self):
        self.ledger = Ledger()
        self.ledger.open_account("ann", 500)
        self.ledger.open_account("bob", 20)

    def test_transfer_moves_money_and_records(self):
        self.ledger.transfer("ann", "bob", 200)
        self.assertEqual((self.ledger.balance("ann"), self.ledger.balance("bob")), (300, 220))
        self.assertEqual(self.ledger.statement("bob")[-1], ("deposit", 200, 220))
        self.assertEqual(self.ledger.statement("ann")[-1], ("withdraw", 200, 300))

    def test_transfer_to_unknown_moves_nothing(self):
        with self.assertRaises(KeyError):
            self.ledger.transfer("ann", "zed", 10)
        self.assertEqual(self.ledger.balance("ann"), 500)
        self.assertEqual(len(self.ledger.history), 2)

    def test_transfer_insufficient(self):
        with self.assertRaises(InsufficientFunds):
            self.ledger.transfer("bob", "ann", 21)
        self.assertEqual(self.ledger.balance("ann"), 500)

    def test_transfer_to_self(self):
        with self.assertRaises(ValueError):
            self.ledger.transfer("ann", "ann", 1)


class TestInterestAndStatements(unittest.TestCase):
    def test_interest_floors_and_skips_zero(self):
        ledger = Ledger()
        ledger.open_account("a", 199)
        ledger.open_account("b", 0)
        ledger.open_account("c", 99)
        self.assertEqual(ledger.apply_interest(1), 1)
        self.assertEqual(ledger.statement("c"), [("open", 99, 99)])
        self.assertEqual(ledger.statement("a")[-1], ("deposit", 1, 200))

    def test_fractional_rate(self):
        ledger = Ledger()
        ledger.open_account("a", 1000)
        self.assertEqual(ledger.apply_interest(2.5), 25)

    def test_statement_unknown(self):
        with self.assertRaises(KeyError):
            Ledger().statement("x")

    def test_statement_only_own_entries(self):
        ledger = Ledger()
        ledger.open_account("a", 1)
        ledger.open_account("b", 2)
        ledger.deposit("a", 3)
        self.assertEqual(ledger.statement("a"), [("open", 1, 1), ("deposit", 3, 4)])
