"""Password guesses counted per account and client address (temporary, growing, capped
waits); failures alone no longer lock an account for good, so the locks they set are lifted."""
from peewee import *


def up(migrator, db):
    class User(Model):
        locked_permanently = BooleanField(default=False)

        class Meta:
            database = db
            table_name = 'user'

    class LoginThrottle(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        source = CharField(max_length=64)
        attempts = IntegerField(default=0)
        lockouts = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        last_attempt_at = DateTimeField()
        known = BooleanField(default=False)

        class Meta:
            database = db
            table_name = 'login_throttle'
            indexes = ((('user', 'source'), True),)

    db.create_tables([LoginThrottle])
    # Until now only repeated failures set this flag: none of these was a human decision.
    User.update(locked_permanently=False).execute()


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS login_throttle')
