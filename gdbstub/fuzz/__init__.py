"""Property-based fuzzing of RSP packet sequences against a live stub (``gdbstub fuzz``).

``strategies`` generates valid and malformed packets, ``model`` says what a correct target
must answer, ``wire`` talks to the stub, and ``stateful`` drives it with a hypothesis
``RuleBasedStateMachine`` that checks the model's invariants after every step.
"""
