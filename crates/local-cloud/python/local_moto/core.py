"""moto's core: a model instance is no longer kept alive forever by moto's instance tracking.

moto 5.2.1 appends every instance of every model (`BaseModel.__new__`) to its class's `instances_tracked` list,
for its `/moto-api/data.json` dashboard and for closing S3 keys' buffers on a reset. Nothing ever removes them,
so in a long-running server every deleted thing stays in memory: a deleted Lambda function with its whole zip
(`code_bytes`), a deleted DynamoDB table's items, every log event of a deleted log group, every stack event.
That was most of moto's growth per deploy+destroy cycle (about 17 MB with a dev-build zip of the CRUD pattern).
Here the lists hold weak references: the dashboard and the S3 reset still see every instance that is alive, and
what moto has deleted is freed. It is applied first, before any other module's additions create instances.

And the start is quicker: moto's EC2 model lists the regions when it is imported, each list from a new
`boto3.Session()` that loads botocore's endpoint data again (three times, ~0.35 CPU-s of every start). The lists are
botocore's static data; they now come from the one session moto's backends already share, each list read once."""

import weakref

import boto3.session
from moto.core import common_models
from moto.core.base_backend import AccountSpecificBackend
from moto.core.model_instances import model_data

from local_moto.common import Context


def patch(ctx: Context) -> None:
    for models in model_data.values():
        for model in models.values():
            WeakInstances.of(model)
    base_new = super(common_models.BaseModel, common_models.BaseModel).__new__

    def __new__(cls, *args, **kwargs):
        instance = base_new(cls)
        WeakInstances.of(cls).append(instance)
        return instance

    common_models.BaseModel.__new__ = __new__
    region_lists_from_one_session()


def region_lists_from_one_session() -> None:
    read = boto3.session.Session.get_available_regions
    lists: dict[tuple, list[str]] = {}

    def get_available_regions(self, service_name, partition_name="aws", allow_non_regional=False):
        key = (service_name, partition_name, allow_non_regional)
        if key not in lists:
            lists[key] = read(AccountSpecificBackend.get_session(), service_name, partition_name, allow_non_regional)
        return list(lists[key])

    boto3.session.Session.get_available_regions = get_available_regions


class WeakInstances:
    """A class's tracked instances, held weakly: iterating yields those still alive, in creation order. moto's
    reset (`reset_model_data`) puts a plain list back; `of` replaces it again at the next instance."""

    # Dead references are dropped when the list has grown by this factor since the last pruning.
    PRUNE_FACTOR = 2

    def __init__(self, instances=()):
        self.refs: list[weakref.ref] = []
        self.pruned_at = 16
        for instance in instances:
            self.append(instance)

    @classmethod
    def of(cls, model: type) -> "WeakInstances":
        tracked = model.__dict__.get("instances_tracked")
        if not isinstance(tracked, WeakInstances):
            tracked = WeakInstances(tracked or ())
            model.instances_tracked = tracked
        return tracked

    def append(self, instance) -> None:
        try:
            self.refs.append(weakref.ref(instance))
        except TypeError:  # a model without weak reference support: not tracked (moto only reads the list)
            return
        if len(self.refs) >= self.pruned_at:
            self.refs = [ref for ref in self.refs if ref() is not None]
            self.pruned_at = max(16, len(self.refs) * self.PRUNE_FACTOR)

    def __iter__(self):
        return (instance for instance in (ref() for ref in list(self.refs)) if instance is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)
