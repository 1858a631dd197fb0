"""factory_boy factories: build test data through the models, flushed in the test's session."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from coalition.auth.models import User
from coalition.extensions import db
from coalition.orgs.models import Membership, Organization, OrgRole, OrgStatus

PASSWORD = "correct horse battery"


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    name = factory.Faker("first_name")
    language = "en"
    password_hash = factory.LazyFunction(lambda: "")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            db.session.commit()


class OrganizationFactory(BaseFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Workers Center {n}")
    slug = factory.Sequence(lambda n: f"workers-center-{n}")
    description = "We organize."
    city = "Boston"
    languages = factory.LazyFunction(lambda: ["en", "es"])
    status = OrgStatus.active


class MembershipFactory(BaseFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    org = factory.SubFactory(OrganizationFactory)
    role = OrgRole.member


def member_of(org: Organization, role: OrgRole, **user_fields) -> User:
    """A new user holding `role` in `org`."""
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, org=org, role=role)
    return user
