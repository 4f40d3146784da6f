"""Tests of local_moto.core: moto's tracking of model instances holds them weakly, so a deleted Lambda function (and
its zip) is freed, while what moto tracks (for its dashboard and S3 reset) is still every live instance, also
after moto resets the tracking. The region lists moto asks boto3 for are botocore's, each read once."""

import gc
import weakref

import boto3.session
import botocore.session
from moto.core.base_backend import AccountSpecificBackend

from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.core.model_instances import reset_model_data
from moto.logs.models import LogGroup

from conftest import ACCOUNT, REGION, unique
from local_moto.core import WeakInstances


def test_a_deleted_function_and_its_code_are_freed(aws, function):
    name = unique("freed")
    function(FunctionName=name)
    model = weakref.ref(lambda_backends[ACCOUNT][REGION].get_function(name))
    aws("lambda").delete_function(FunctionName=name)
    gc.collect()
    assert model() is None, f"still referred to by {[type(r).__name__ for r in gc.get_referrers(model())]}"


def test_the_tracked_instances_are_the_live_ones(aws):
    # What moto's `/moto-api/data.json` dashboard and its S3 reset read.
    kept, deleted = unique("/kept"), unique("/deleted")
    for name in (kept, deleted):
        aws("logs").create_log_group(logGroupName=name)
    aws("logs").delete_log_group(logGroupName=deleted)
    gc.collect()
    names = [group.name for group in LogGroup.instances_tracked]
    assert kept in names and deleted not in names


def test_tracking_stays_weak_after_moto_resets_it(aws, function):
    reset_model_data()  # what moto's reset does: a plain list on every model
    assert isinstance(LambdaFunction.__dict__["instances_tracked"], list)
    name = unique("after-reset")
    function(FunctionName=name)
    tracked = LambdaFunction.__dict__["instances_tracked"]
    assert isinstance(tracked, WeakInstances)
    assert name in [f.function_name for f in tracked]
    aws("lambda").delete_function(FunctionName=name)
    gc.collect()
    assert name not in [f.function_name for f in tracked]


def test_dead_references_are_pruned_as_the_list_grows():
    class Model:
        pass

    tracked = WeakInstances()
    alive = [Model() for _ in range(3)]
    for _ in range(1000):
        tracked.append(Model())  # dies at once
    assert list(tracked) == [] and len(tracked.refs) < 32
    for model in alive:
        tracked.append(model)
    assert list(tracked) == alive and len(tracked) == 3


def test_region_lists_are_botocore_s():
    # What moto's EC2 model and its backends ask for, from any session.
    botocore_lists = botocore.session.get_session()
    for partition in ("aws", "aws-us-gov", "aws-cn"):
        listed = boto3.session.Session().get_available_regions("ec2", partition_name=partition)
        assert listed == botocore_lists.get_available_regions("ec2", partition_name=partition)
        assert listed


def test_each_region_list_is_read_once(monkeypatch):
    shared = AccountSpecificBackend.get_session()._session
    reads = []
    read = shared.get_available_regions
    monkeypatch.setattr(shared, "get_available_regions", lambda **kw: reads.append(kw) or read(**kw))
    # A list nothing else here asks for (Kafka, with the non-regional endpoints).
    first = boto3.session.Session().get_available_regions("kafka", allow_non_regional=True)
    second = boto3.session.Session().get_available_regions("kafka", allow_non_regional=True)
    assert first == second and len(reads) == 1
    second.append("changed by a caller")
    assert "changed by a caller" not in boto3.session.Session().get_available_regions("kafka", allow_non_regional=True)
