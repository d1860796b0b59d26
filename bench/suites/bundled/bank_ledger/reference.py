"""A ledger of named accounts with integer balances (cents) and an audit history."""

from __future__ import annotations

from dataclasses import dataclass


class UnknownAccount(KeyError):
    """No account has that name."""


class InsufficientFunds(ValueError):
    """A withdrawal larger than the balance."""


@dataclass(frozen=True)
class Entry:
    """One line of the audit history."""

    account: str
    kind: str
    amount: int
    balance: int


class Ledger:
    """Accounts, balances and their history."""

    def __init__(self) -> None:
        self.balances: dict[str, int] = {}
        self.history: list[Entry] = []

    def _account(self, name: str) -> int:
        """Balance of an existing account.

        >>> ledger = Ledger()
        >>> ledger.balances["ann"] = 5
        >>> ledger._account("ann")
        5
        >>> try:
        ...     ledger._account("bob")
        ... except UnknownAccount as err:
        ...     print(type(err).__name__, isinstance(err, KeyError))
        UnknownAccount True
        """
        if name not in self.balances:
            raise UnknownAccount(f"no account {name!r}")
        return self.balances[name]

    def _record(self, name: str, kind: str, amount: int) -> None:
        """Append a history entry with the account's current balance.

        >>> ledger = Ledger()
        >>> ledger.balances["ann"] = 7
        >>> ledger._record("ann", "deposit", 7)
        >>> ledger.history
        [Entry(account='ann', kind='deposit', amount=7, balance=7)]
        """
        self.history.append(Entry(name, kind, amount, self.balances[name]))

    def open_account(self, name: str, initial: int = 0) -> None:
        """Create an account with an opening balance.

        >>> ledger = Ledger()
        >>> ledger.open_account("ann", 100)
        >>> ledger.balances, ledger.history[-1].kind
        ({'ann': 100}, 'open')
        """
        if name in self.balances:
            raise ValueError(f"account {name!r} exists")
        if initial < 0:
            raise ValueError("initial balance must not be negative")
        self.balances[name] = initial
        self._record(name, "open", initial)

    def deposit(self, name: str, amount: int) -> int:
        """Add money; returns the new balance.

        >>> ledger = Ledger()
        >>> ledger.open_account("ann", 10)
        >>> ledger.deposit("ann", 5)
        15
        """
        if amount <= 0:
            raise ValueError("amount must be positive")
        self.balances[name] = self._account(name) + amount
        self._record(name, "deposit", amount)
        return self.balances[name]

    def withdraw(self, name: str, amount: int) -> int:
        """Take money out; returns the new balance.

        >>> ledger = Ledger()
        >>> ledger.open_account("ann", 10)
        >>> ledger.withdraw("ann", 4)
        6
        >>> try:
        ...     ledger.withdraw("ann", 7)
        ... except InsufficientFunds as err:
        ...     print(err)
        ann has 6, cannot withdraw 7
        """
        if amount <= 0:
            raise ValueError("amount must be positive")
        current = self._account(name)
        if amount > current:
            raise InsufficientFunds(f"{name} has {current}, cannot withdraw {amount}")
        self.balances[name] = current - amount
        self._record(name, "withdraw", amount)
        return self.balances[name]

    def balance(self, name: str) -> int:
        """Current balance.

        >>> ledger = Ledger()
        >>> ledger.open_account("ann", 3)
        >>> ledger.balance("ann")
        3
        """
        return self._account(name)

    def transfer(self, source: str, target: str, amount: int) -> None:
        """Move money between two different existing accounts.

        >>> ledger = Ledger()
        >>> ledger.open_account("ann", 10)
        >>> ledger.open_account("bob")
        >>> ledger.transfer("ann", "bob", 4)
        >>> ledger.balances
        {'ann': 6, 'bob': 4}
        """
        if source == target:
            raise ValueError("cannot transfer to the same account")
        self._account(target)
        self.withdraw(source, amount)
        self.deposit(target, amount)

    def apply_interest(self, rate_percent: float) -> int:
        """Deposit floor(balance * rate / 100) into each account; returns the total paid.

        >>> ledger = Ledger()
        >>> ledger.open_account("ann", 1050)
        >>> ledger.open_account("bob", 10)
        >>> ledger.apply_interest(5)
        52
        >>> ledger.balances
        {'ann': 1102, 'bob': 10}
        """
        total = 0
        for name in sorted(self.balances):
            interest = int(self.balances[name] * rate_percent // 100)
            if interest > 0:
                self.deposit(name, interest)
                total += interest
        return total

    def statement(self, name: str) -> list[tuple[str, int, int]]:
        """History of one account as (kind, amount, balance) tuples.

        >>> ledger = Ledger()
        >>> ledger.open_account("ann", 5)
        >>> ledger.deposit("ann", 2)
        7
        >>> ledger.statement("ann")
        [('open', 5, 5), ('deposit', 2, 7)]
        """
        self._account(name)
        return [(e.kind, e.amount, e.balance) for e in self.history if e.account == name]
