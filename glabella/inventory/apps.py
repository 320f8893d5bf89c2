from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "glabella.inventory"
    label = "inventory"
    verbose_name = "Stock"

    def ready(self) -> None:
        # Once a minute the scheduler closes vials past their time after reconstitution or of
        # an expired lot, and writes their units off.
        from glabella.core import periodic
        from glabella.inventory.services import write_off_expired

        periodic.register("vials_written_off", write_off_expired)
