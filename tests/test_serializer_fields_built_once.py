"""A field-policy serializer builds its fields from the models once per process; each instance gets its own copy."""

from rest_framework import serializers

from cases.api.serializers import CaseSerializer, MemberSerializer


def test_fields_are_built_once_per_class_and_copied_per_instance(monkeypatch):
    built = []
    original = serializers.ModelSerializer.get_fields

    def counting(self):
        built.append(type(self).__name__)
        return original(self)

    monkeypatch.setattr(serializers.ModelSerializer, "get_fields", counting)
    for cls in (CaseSerializer, MemberSerializer):
        monkeypatch.delattr(cls, "_avr_built_fields", raising=False)

    first, second = CaseSerializer(), CaseSerializer()
    assert set(first.fields) == set(second.fields) and "members" in first.fields
    assert built.count("CaseSerializer") == 1
    assert first.fields["reference"] is not second.fields["reference"]
    assert first.fields["reference"].parent is first and second.fields["reference"].parent is second
    MemberSerializer().fields
    MemberSerializer().fields
    assert built.count("MemberSerializer") == 1
